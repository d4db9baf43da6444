"""Knowledge bundles, the local vector store, retrieval and answers."""
