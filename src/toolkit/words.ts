/**
 * Whole-word matching shared by triage rules and the blameless check: case and punctuation never
 * decide a match, so `Data-Loss` matches "data loss" and `O'Brien` reads as `o brien`.
 */

/** Lower-cased words of a text; anything but letters and digits separates words. */
export function wordsOf(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word.length > 0);
}

/** Whether `phrase` (one or more words) occurs as consecutive whole words of `words`. */
export function mentions(words: readonly string[], phrase: string): boolean {
  const wanted = wordsOf(phrase);
  if (wanted.length === 0) return false;
  for (let start = 0; start + wanted.length <= words.length; start++) {
    if (wanted.every((word, offset) => words[start + offset] === word)) return true;
  }
  return false;
}
