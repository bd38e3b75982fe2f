"""spark-submit entry point for `crm-mining complaints`.

spark-submit --py-files dist/crm_mining-*.whl jobs/complaints.py --conf conf/cluster.yaml
"""

import sys

from crm_mining.cli import main

if __name__ == "__main__":
    sys.exit(main(["complaints", *sys.argv[1:]]))
