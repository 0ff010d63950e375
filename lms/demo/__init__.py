"""The demo organisation: about 200 people, the demo logins and their training history."""
