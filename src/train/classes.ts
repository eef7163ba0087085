// Names of the classes of a data set, for progress lines, reports and `lift predict`.

import { basename } from "node:path";

export const FASHION_MNIST_CLASSES = [
  "T-shirt/top",
  "Trouser",
  "Pullover",
  "Dress",
  "Coat",
  "Sandal",
  "Shirt",
  "Sneaker",
  "Bag",
  "Ankle boot",
] as const;

/**
 * Fashion-MNIST's names for 10 classes when the data directory's name mentions "fashion"; the
 * digits 0–9 for another 10-class set (MNIST); otherwise "class 0", "class 1", ….
 */
export function classNamesFor(dataDir: string, classes: number): string[] {
  if (classes === 10 && /fashion/i.test(basename(dataDir.replace(/\/+$/, "")))) return [...FASHION_MNIST_CLASSES];
  if (classes === 10) return Array.from({ length: 10 }, (_, i) => String(i));
  return Array.from({ length: classes }, (_, i) => `class ${i}`);
}
