/** backend-patterns/accounts/redis — placeholder while the adapter is built. */
export {};
