/** How long a registration is granted (RFC 3261 §10.2.1.1, §10.3 step 6; CME `registrar server expires`). */
import type { RegistrarSettings } from '../../admin/index.js';

/** RFC 3261 §10.3 step 6: only an interval shorter than an hour may be refused as too brief. */
const REFUSABLE_BELOW_SECONDS = 3600;

/**
 * The seconds granted for a requested interval: 0 stays 0 (removal), an interval above the
 * maximum is cut to it, an interval below the minimum is 'too-brief' (423 with Min-Expires).
 * Without a request the registrar's default applies, kept within min and max.
 */
export function grantExpires(
  requested: number | undefined,
  settings: RegistrarSettings,
): number | 'too-brief' {
  if (requested === undefined)
    return Math.min(Math.max(settings.expiresDefault, settings.expiresMin), settings.expiresMax);
  if (requested === 0) return 0;
  if (requested < settings.expiresMin && requested < REFUSABLE_BELOW_SECONDS) return 'too-brief';
  return Math.min(requested, settings.expiresMax);
}

/** A delta-seconds value (RFC 3261 §25.1), or undefined when it is not one. */
export function parseDeltaSeconds(value: string | null | undefined): number | undefined {
  if (value === null || value === undefined || !/^[0-9]{1,10}$/.test(value)) return undefined;
  // RFC 3261 §20.19: an interval beyond 2**32-1 counts as 2**32-1.
  return Math.min(Number(value), 0xffffffff);
}
