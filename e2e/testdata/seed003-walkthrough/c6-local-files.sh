# Remove local files created during setup
rm -f sagemaker-trust-policy.json
rm -f step-functions-trust-policy.json
rm -f step-functions-sagemaker-policy.json
rm -f generate_sample_data.py
rm -f preprocessing.py
rm -f training.py
rm -f inference.py
rm -f ml-pipeline-state-machine.json
rm -f evaluate_model.py
rm -f evaluate_model.zip
rm -f pipeline-input.json
rm -f test-prediction.json
rm -f prediction-output.json
rm -f evaluation.json
rm -f train.csv
rm -f test.csv

echo "âœ… Local files cleaned up"
