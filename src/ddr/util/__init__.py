"""The plumbing every layer of ddr uses and none owns: atomic writes with the user's umask, file hashing, provenance
records, the cache folder, name registries, image-array layouts and background decoding. Kept apart so that the
top-level package holds only the method and its inputs (model, descriptor, prompts, directions, pixel domain,
patches, preprocessing, image reading, CLI)."""
