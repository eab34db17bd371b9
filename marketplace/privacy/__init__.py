"""The fan's data is theirs: a copy of everything Encore keeps about an account
(export), and the account's deletion (deletion). Both read and write several
apps' tables (accounts, tickets, listings, payments, messaging), so they live
at the project's top, which may import every app (docs/architecture.md,
"The fan's data")."""
