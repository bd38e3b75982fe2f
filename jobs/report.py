"""spark-submit entry point for `crm-mining report`.

spark-submit --py-files dist/crm_mining-*.whl jobs/report.py --conf conf/cluster.yaml
"""

import sys

from crm_mining.cli import main

if __name__ == "__main__":
    sys.exit(main(["report", *sys.argv[1:]]))
