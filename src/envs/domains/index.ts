/** Importing this module registers every task domain. */
import './reacher.js';
import './cheetah.js';
import './metaworld/button_press_topdown.js';
import './metaworld/drawer_open.js';
import './metaworld/button_press.js';
