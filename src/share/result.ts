/**
 * Result: the share library's way to report expected failures (a link cut short in a chat,
 * garbage pasted into the address bar) without throwing. Bugs still throw; bad input never does.
 */
export type Result<T, E = string> = { ok: true; value: T } | { ok: false; error: E };

export const ok = <T>(value: T): Result<T, never> => ({ ok: true, value });
export const err = <E>(error: E): Result<never, E> => ({ ok: false, error });
