"""spark-submit entry point for `crm-mining pipeline`.

spark-submit --py-files dist/crm_mining-*.whl jobs/pipeline.py --conf conf/cluster.yaml
"""

import sys

from crm_mining.cli import main

if __name__ == "__main__":
    sys.exit(main(["pipeline", *sys.argv[1:]]))
