/** backend-patterns/flags/redis — placeholder while the adapter is built. */
export {};
