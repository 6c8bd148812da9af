import { z } from 'zod';

/**
 * What a release may be called when it comes in over the API (`POST /api/deploys`): it is handed to
 * the deploy hook as a JSON field or an environment variable, and to the eval endpoint, so it is
 * held to what a version, a tag or an image reference looks like. A NUL byte, a newline or 200 KB
 * would otherwise reach a hook that cannot start (`execve` refuses them) after the deploy is journaled.
 */
export const RELEASE_NAME_MAX = 200;
export const RELEASE_NAME_CHARS = 'letters, digits and . _ : / @ + -, starting with a letter or digit';

export const releaseName = z
  .string()
  .min(1, 'must name the release to deploy')
  .max(RELEASE_NAME_MAX, `must be at most ${RELEASE_NAME_MAX} characters long`)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:/@+-]*$/, `must be a release name (${RELEASE_NAME_CHARS})`);
