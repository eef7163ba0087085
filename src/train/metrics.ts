// Scores of a batch of logits, shared by the single-process loop and the data-parallel step.

/** The index of the largest of the k scores at `at` (the first one on a tie). */
export function argmax(scores: ArrayLike<number>, at: number, k: number): number {
  let best = 0;
  for (let j = 1; j < k; j++) if (scores[at + j]! > scores[at + best]!) best = j;
  return best;
}

/** How many of the first n rows of logits have their largest score at the one-hot label. */
export function countCorrect(logits: Float32Array, labels: Float32Array, n: number, k: number): number {
  let correct = 0;
  for (let i = 0; i < n; i++) if (labels[i * k + argmax(logits, i * k, k)] === 1) correct++;
  return correct;
}
