/**
 * The bearer token, kept in sessionStorage only: it lives as long as the tab, is never written to
 * localStorage or a cookie, and never appears in a URL. An empty token means a broker without
 * authentication; no entry means not signed in.
 */
const key = "herald.console.token";

export const readToken = (): string | undefined => sessionStorage.getItem(key) ?? undefined;

export const saveToken = (token: string): void => sessionStorage.setItem(key, token);

export const forgetToken = (): void => sessionStorage.removeItem(key);

/** The Authorization header for `token`; none for a broker without authentication. */
export const authorization = (token: string): Record<string, string> =>
  token === "" ? {} : { authorization: `Bearer ${token}` };
