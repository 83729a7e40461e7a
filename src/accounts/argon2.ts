/** backend-patterns/accounts/argon2 — placeholder while the adapter is built. */
export {};
