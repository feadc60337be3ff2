"""lqmodel.collider — the LHC side of the model: tree-level widths and branching ratios, pair-production
limits recast to the point's branching ratios, and the collider summary of a point (placeholder, filled below)."""
