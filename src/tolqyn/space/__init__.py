"""Space: the torus lattice of the classic models, regions -> localities for countries,
and social networks as CSR edge arrays."""
