"""spark-submit entry point for `crm-mining rules`.

spark-submit --py-files dist/crm_mining-*.whl jobs/rules.py --conf conf/cluster.yaml
"""

import sys

from crm_mining.cli import main

if __name__ == "__main__":
    sys.exit(main(["rules", *sys.argv[1:]]))
