"""spark-submit entry point for `crm-mining train`.

spark-submit --py-files dist/crm_mining-*.whl jobs/train.py --conf conf/cluster.yaml
"""

import sys

from crm_mining.cli import main

if __name__ == "__main__":
    sys.exit(main(["train", *sys.argv[1:]]))
