"""spark-submit entry point for `crm-mining segment`.

spark-submit --py-files dist/crm_mining-*.whl jobs/segment.py --conf conf/cluster.yaml
"""

import sys

from crm_mining.cli import main

if __name__ == "__main__":
    sys.exit(main(["segment", *sys.argv[1:]]))
