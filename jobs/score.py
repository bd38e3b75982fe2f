"""spark-submit entry point for `crm-mining score`.

spark-submit --py-files dist/crm_mining-*.whl jobs/score.py --conf conf/cluster.yaml
"""

import sys

from crm_mining.cli import main

if __name__ == "__main__":
    sys.exit(main(["score", *sys.argv[1:]]))
