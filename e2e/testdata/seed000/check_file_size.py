"""Seed 000's check_file_size.py: the size of the test file in MB, as JSON. The output
path is /opt/ml/output/message, which SageMaker returns as the job's ExitMessage."""
import json
import os
import sys

input_path, output_path = sys.argv[1], sys.argv[2]
size_mb = os.path.getsize(input_path) / 1e6
with open(output_path, "w") as f:
    json.dump({"size_mb": size_mb}, f)
print("size_mb: %f" % size_mb)
