//! Smaller embeddings and search over them: binary codes with Hamming
//! search ([`binary`]) and product quantisation with asymmetric distances
//! ([`pq`]). Every search is exact over its codes and returns the top k
//! per query, ties going to the lower corpus index.

pub mod binary;
pub mod pq;
