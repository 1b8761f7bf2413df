"""Everything that runs student code: the in-sandbox worker, the wire protocol, backends."""
