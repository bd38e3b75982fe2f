"""spark-submit entry point for `crm-mining lifecycle`.

spark-submit --py-files dist/crm_mining-*.whl jobs/lifecycle.py --conf conf/cluster.yaml
"""

import sys

from crm_mining.cli import main

if __name__ == "__main__":
    sys.exit(main(["lifecycle", *sys.argv[1:]]))
