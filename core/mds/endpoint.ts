// Where rkt's metadata service is reached (rkt common/common.go): stage0 registers pods over the unix
// socket /run/rkt/metadata-svc.sock, apps read the appc metadata API over TCP port 18112 at the URL
// stage1 gives them. Test-only overrides, never set in production, so tests touch neither /run/rkt
// nor the real port:
//   RKT_MDS_SOCKET       the registration socket path, for `rkt metadata-service` and stage0 alike
//   RKT_MDS_PORT         the port stage1 writes into AC_METADATA_URL (rkt always wrote 18112)
//   RKT_MDS_LISTEN_HOST  the address `rkt metadata-service` listens on (rkt: every IPv4 address)

/** rkt's common.MetadataServiceRegSock. */
export const MDS_SOCKET = "/run/rkt/metadata-svc.sock";
/** rkt's common.MetadataServicePort. */
export const MDS_PORT = 18112;

type Env = Record<string, string | undefined>;

/** The registration socket path. */
export function mdsSocketPath(env: Env = process.env): string {
  return env.RKT_MDS_SOCKET || MDS_SOCKET;
}

/** The address the service's TCP listener binds. */
export function mdsListenHost(env: Env = process.env): string {
  return env.RKT_MDS_LISTEN_HOST || "0.0.0.0";
}

/** rkt's common.MetadataServicePublicURL: the AC_METADATA_URL of a pod that reaches the host at `ip`. */
export function metadataServiceUrl(ip: string, token: string, env: Env = process.env): string {
  return `http://${ip}:${env.RKT_MDS_PORT || MDS_PORT}/${token}`;
}
