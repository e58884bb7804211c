"""Evidence files (photos, video): hashes, display copies, the ledger."""
