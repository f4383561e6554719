from latentspace.cli import main

raise SystemExit(main())
