/** A listen or dial address, parsed from `host:port` (IPv6 hosts may be bracketed). */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** `host:port` for binding, with IPv6 hosts bracketed. */
export function formatHostPort({ host, port }: HostPort): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}
