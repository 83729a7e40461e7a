/** backend-patterns/flags/openfeature — placeholder while the adapter is built. */
export {};
