/**
 * Whether the instance's OIDC discovery and JWKS answer (harness control API only): the
 * jwks-lifecycle scenario takes them down to see a gateway start, or keep running, without its
 * issuer, and brings them back. Everything else of the instance keeps answering.
 */
export class OidcAvailability {
  private up = true;

  get available(): boolean {
    return this.up;
  }

  set(available: boolean): { available: boolean } {
    this.up = available;
    return { available: this.up };
  }

  reset(): void {
    this.up = true;
  }
}
