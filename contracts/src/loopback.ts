/**
 * The loopback rule shared by the gateway's benchmark-only bypass, the load CLI's targets and the
 * OAuth client's cleartext exception: 127.0.0.0/8, `localhost` and ::1 (RFC 6890 §2.2.2 and
 * §2.2.3; RFC 8252 §8.3 for OAuth's loopback redirects), nothing that merely starts like them.
 */

/** Whether `host` (a URL's hostname, or a listen address; ::1 with or without brackets) is loopback. Case-insensitive. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'localhost' || h === '::1' || h === '[::1]') return true;
  const octets = h.split('.');
  return octets.length === 4 && octets[0] === '127' && octets.every((o) => /^\d{1,3}$/.test(o) && Number(o) <= 255);
}
