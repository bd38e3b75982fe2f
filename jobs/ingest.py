"""spark-submit entry point for `crm-mining ingest`.

spark-submit --py-files dist/crm_mining-*.whl jobs/ingest.py --conf conf/cluster.yaml
"""

import sys

from crm_mining.cli import main

if __name__ == "__main__":
    sys.exit(main(["ingest", *sys.argv[1:]]))
