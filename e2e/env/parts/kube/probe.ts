import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";

export interface ProbeOptions {
  /** PEM CA that signed the server's certificate. */
  ca?: string;
  /** Accept any certificate (the controller-manager's is self-signed in memory). */
  insecure?: boolean;
  token?: string;
  timeoutMs?: number;
}

/** GET `url`; resolves to true on a 2xx whose body satisfies `accept` (default: any). */
export function probe(
  url: string,
  opts: ProbeOptions = {},
  accept: (body: string) => boolean = () => true,
): Promise<boolean> {
  const u = new URL(url);
  const request = u.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    const req = request(
      u,
      {
        method: "GET",
        ca: opts.ca,
        rejectUnauthorized: !opts.insecure,
        headers: opts.token ? { authorization: `Bearer ${opts.token}` } : {},
        timeout: opts.timeoutMs ?? 2000,
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (body += chunk));
        res.on("end", () => {
          const status = res.statusCode ?? 0;
          resolve(status >= 200 && status < 300 && accept(body));
        });
        res.on("error", () => resolve(false));
      },
    );
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(false));
    req.end();
  });
}
