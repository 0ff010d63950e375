"""Sign-in, sign-out and server-side sessions."""
