"""Writes the .npy fixtures of internal/numtest's ReadNpy test.

Run with /usr/bin/python3 (numpy 1.24.2, Debian 12) from this directory: python3 gen_npy.py
"""
import numpy as np

np.save("f4_2x3.npy", np.arange(6, dtype="<f4").reshape(2, 3) / 4 - 0.5)
np.save("f8_3.npy", np.array([1.5, -2.25, 1e-300], dtype="<f8"))
np.save("f8_scalar.npy", np.float64(3.25))
np.save("i4_2.npy", np.array([1, 2], dtype="<i4"))
np.save("f4_fortran.npy", np.asfortranarray(np.ones((2, 3), dtype="<f4")))
