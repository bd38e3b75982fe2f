"""spark-submit entry point for `crm-mining generate`.

spark-submit --py-files dist/crm_mining-*.whl jobs/generate.py --conf conf/cluster.yaml
"""

import sys

from crm_mining.cli import main

if __name__ == "__main__":
    sys.exit(main(["generate", *sys.argv[1:]]))
