"""(III) Design: the design space, inverse and product-oriented runs, robust settings,
production tolerances, measurements and calibration."""
