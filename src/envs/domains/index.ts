/** Importing this module registers every task domain. */
import './reacher.js';
import './cheetah.js';
import './walker.js';
import './finger.js';
// MetaWorld-style: the CortexBench five, then the Factor-World-only ones.
import './metaworld/assembly.js';
import './metaworld/bin_picking.js';
import './metaworld/button_press_topdown.js';
import './metaworld/drawer_open.js';
import './metaworld/hammer.js';
import './metaworld/button_press.js';
import './metaworld/door_open.js';
import './metaworld/pick_place.js';
// Adroit-style: pen, relocate.
import './adroit/index.js';
