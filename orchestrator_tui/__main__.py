from orchestrator_tui.cli import main

raise SystemExit(main())
