"""spark-submit entry point for `crm-mining fraud`.

spark-submit --py-files dist/crm_mining-*.whl jobs/fraud.py --conf conf/cluster.yaml
"""

import sys

from crm_mining.cli import main

if __name__ == "__main__":
    sys.exit(main(["fraud", *sys.argv[1:]]))
