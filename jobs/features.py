"""spark-submit entry point for `crm-mining features`.

spark-submit --py-files dist/crm_mining-*.whl jobs/features.py --conf conf/cluster.yaml
"""

import sys

from crm_mining.cli import main

if __name__ == "__main__":
    sys.exit(main(["features", *sys.argv[1:]]))
