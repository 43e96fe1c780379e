/** Mean squared error (PyTorch's MSELoss, mean over every element) and its gradient, as tf ops. */
import * as tf from '@tensorflow/tfjs';

/**
 * prediction, target [B, A] -> sum of squared errors (scalar) and dLoss/dPrediction [B, A] for the MEAN loss,
 * i.e. 2 (prediction - target) / (B * A). Call inside a tidy.
 */
export function meanSquaredError(prediction: tf.Tensor2D, target: tf.Tensor2D): { sum: tf.Scalar; dOut: tf.Tensor2D } {
  const diff = tf.sub(prediction, target);
  const sum = tf.sum(tf.square(diff)) as tf.Scalar;
  const dOut = tf.mul(diff, tf.scalar(2 / prediction.size)) as tf.Tensor2D;
  return { sum, dOut };
}
