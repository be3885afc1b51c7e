import * as tf from "@tensorflow/tfjs";

/** sqrt(Σ g²) over all gradients, as a device scalar. */
export function globalNorm(grads: Iterable<tf.Tensor>): tf.Scalar {
  return tf.tidy(() => {
    let total: tf.Scalar = tf.scalar(0);
    for (const g of grads) total = tf.add(total, tf.sum(tf.square(g)));
    return tf.sqrt(total);
  });
}

/**
 * Scales all gradients by min(1, maxNorm / (norm + 1e-6)) as torch.nn.utils.clip_grad_norm_ does,
 * entirely on device, and returns the pre-clip norm so the caller reads it with its other
 * scalars in one sync. maxNorm <= 0 leaves the gradients as they are.
 */
export function clipByGlobalNorm(
  grads: Map<string, tf.Tensor>,
  maxNorm: number,
): { grads: Map<string, tf.Tensor>; norm: tf.Scalar } {
  const norm = globalNorm(grads.values());
  if (!(maxNorm > 0)) return { grads, norm };
  const scale = tf.tidy(() => tf.minimum(tf.div(maxNorm, tf.add(norm, 1e-6)), 1));
  const clipped = new Map<string, tf.Tensor>();
  for (const [name, g] of grads) clipped.set(name, tf.mul(g, scale));
  scale.dispose();
  return { grads: clipped, norm };
}
