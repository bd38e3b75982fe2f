"""spark-submit entry point for `crm-mining cube`.

spark-submit --py-files dist/crm_mining-*.whl jobs/cube.py --conf conf/cluster.yaml
"""

import sys

from crm_mining.cli import main

if __name__ == "__main__":
    sys.exit(main(["cube", *sys.argv[1:]]))
