"""What keeps the faust worker (`processors/app.py`) correct: acknowledgement after the work is
done (`acks`), seeks after a rebalance (`rebalance`), the resolver's durable state per partition
(`resolver_state`), the analysis process pool (`analysis_pool`), the watches that give up on a
stuck consumer (`stall`) and the heap trim (`heap`)."""
