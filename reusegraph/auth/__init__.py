"""Who is asking: the Principal, and (later) OIDC token validation. Imports nothing of ours."""
