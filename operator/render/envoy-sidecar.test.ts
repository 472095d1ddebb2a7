import { describe, expect, it } from "vitest";
import { envoyConfigVolume, envoySidecar } from "./envoy-sidecar.ts";
import { brokerFixture, contextFixture, plaintextSpec } from "../test/fixtures.ts";

describe("envoySidecar", () => {
  const sidecar = envoySidecar(brokerFixture(), contextFixture());

  it("runs as a native sidecar from the operator's Envoy image with the mounted bootstrap", () => {
    expect(sidecar).toMatchObject({
      name: "envoy",
      image: "envoyproxy/envoy:v1.34.1",
      restartPolicy: "Always",
      command: ["envoy"],
      volumeMounts: [
        { name: "envoy-config", mountPath: "/etc/envoy", readOnly: true },
        { name: "tls", mountPath: "/var/run/secrets/herald/tls", readOnly: true },
      ],
    });
    expect(envoySidecar(brokerFixture(plaintextSpec), contextFixture()).volumeMounts).toEqual([
      { name: "envoy-config", mountPath: "/etc/envoy", readOnly: true },
    ]);
    expect(sidecar.args?.slice(0, 2)).toEqual(["--config-path", "/etc/envoy/envoy.yaml"]);
    expect(envoyConfigVolume(brokerFixture())).toEqual({
      name: "envoy-config",
      configMap: { name: "orders-envoy" },
    });
  });

  it("runs as the image's envoy user, since the image would start as root", () => {
    expect(sidecar.securityContext).toMatchObject({
      runAsUser: 101,
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
    });
  });

  it("exposes the rate-limited gRPC port and is ready once it accepts connections", () => {
    expect(sidecar.ports).toEqual([
      { name: "grpc-limited", containerPort: 50061, protocol: "TCP" },
    ]);
    expect(sidecar.readinessProbe?.tcpSocket).toEqual({ port: "grpc-limited" });
  });
});
