"""Writes a housing data set shaped like scikit-learn's California housing set (a header,
eight features, then "target"), as the seed walkthrough saves it, without downloading
anything: the target depends on the features the way house prices do (mostly income),
plus noise. The same seed gives the same rows.

    python3 generate_data.py ROWS SEED > housing.csv
"""
import math
import random
import sys

COLUMNS = ["MedInc", "HouseAge", "AveRooms", "AveBedrms", "Population", "AveOccup", "Latitude", "Longitude", "target"]


def main():
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    rng = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
    out = sys.stdout
    out.write(",".join(COLUMNS) + "\n")
    for _ in range(rows):
        inc = 0.5 + rng.random() * 10
        age = 1 + rng.random() * 51
        rooms = 2 + rng.random() * 6
        bed = 0.8 + rng.random() * 0.6
        pop = 100 + rng.random() * 3000
        occ = 1.5 + rng.random() * 3
        lat = 32.5 + rng.random() * 9
        lon = -124.3 + rng.random() * 10
        y = 0.45 * inc + 0.01 * age + 0.1 * rooms - 0.2 * occ + 0.3 * math.sin(lat) + rng.gauss(0, 0.2)
        out.write("%.4f,%.1f,%.4f,%.4f,%.0f,%.4f,%.2f,%.2f,%.5f\n" % (inc, age, rooms, bed, pop, occ, lat, lon, y))


if __name__ == "__main__":
    main()
