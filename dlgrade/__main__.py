from dlgrade.apps.main import main

main()
