"""Use cases. Each public function is one unit of work and returns plain records."""
